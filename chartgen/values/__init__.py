"""The values of generated charts, and the value types profiles share with them."""
