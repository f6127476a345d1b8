"""The demo incident as package data: a lost 4-year-old on real Cumberland Mountains terrain.

Read it with :mod:`wayhome.io.demo` (``read_demo_dem``, ``read_demo_layers``,
``read_demo_incident``); ``data/README.md`` says what is real and what is invented.
"""
