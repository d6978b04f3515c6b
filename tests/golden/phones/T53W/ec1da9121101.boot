#!version:1.0.0.1
## Managed by citypbx: T53W ec1da9121101, extension 1211, salon spb-vasilyevsky, city saint_petersburg.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/ec1da9121101.cfg"
overwrite_mode = 1
