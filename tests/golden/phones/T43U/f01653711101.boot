#!version:1.0.0.1
## Managed by citypbx: T43U f01653711101, extension 7111, salon krd-galitskogo, city krasnodar.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/f01653711101.cfg"
overwrite_mode = 1
