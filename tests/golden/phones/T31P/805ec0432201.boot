#!version:1.0.0.1
## Managed by citypbx: T31P 805ec0432201, extension 2201, salon kazan-pushkina, city kazan.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/805ec0432201.cfg"
overwrite_mode = 1
