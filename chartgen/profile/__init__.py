"""Environment profiles: `profiles/<env>.yaml`, merged through `extends`."""
