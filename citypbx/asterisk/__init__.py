"""Talking to a live Asterisk: CLI output parsed into data (cli.py); releases and probes run
on the host through plugins/modules/citypbx_asterisk_release.py, which ships cli.py along."""
