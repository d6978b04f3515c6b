#!version:1.0.0.1
## Managed by citypbx: T46U 805ec0432101, extension 2101, salon kazan-baumana, city kazan.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/805ec0432101.cfg"
overwrite_mode = 1
