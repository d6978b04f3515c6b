#!version:1.0.0.1
## Managed by citypbx: T48U 44dbd2510101, extension 5101, salon nn-pokrovka, city nizhny_novgorod.
## Generated from the inventory; edits here are overwritten. Change the inventory instead.
include:config "https://prov.citypbx.example/phones/44dbd2510101.cfg"
overwrite_mode = 1
