"""Reading and writing the file formats chartgen meets: YAML/JSON with positions, Java properties."""
