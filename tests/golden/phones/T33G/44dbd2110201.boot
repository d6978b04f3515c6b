#!version:1.0.0.1
## Managed by citypbx: T33G 44dbd2110201, extension 1102, salon moscow-tverskaya, city moscow.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/44dbd2110201.cfg"
overwrite_mode = 1
