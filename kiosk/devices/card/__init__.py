"""The My Number card: APDU and TLV codec, card operations, PC/SC reader, virtual card.

Import the submodule you need (`kiosk.devices.card.mynumber`, `.reader`, `.virtual`, ...);
this package imports nothing at load time so `import kiosk.devices.card` stays cheap.
"""
