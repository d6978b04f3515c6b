"""citypbx: the company's city-by-city Asterisk PBX kit (inventory model and validator)."""

__version__ = "0.1.0"
