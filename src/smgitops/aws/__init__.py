"""The AWS edge: clients and the account guard, reading live state, the wire shapes, apply,
waiting, garbage collection, the inventory, the apply lock and smoke tests."""
