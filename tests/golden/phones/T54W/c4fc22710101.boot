#!version:1.0.0.1
## Managed by citypbx: T54W c4fc22710101, extension 7101, salon krd-krasnaya, city krasnodar.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/c4fc22710101.cfg"
overwrite_mode = 1
