print("drctl: not yet implemented")
