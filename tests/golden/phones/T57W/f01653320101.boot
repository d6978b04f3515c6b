#!version:1.0.0.1
## Managed by citypbx: T57W f01653320101, extension 3201, salon ekb-vaynera, city yekaterinburg.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/f01653320101.cfg"
overwrite_mode = 1
