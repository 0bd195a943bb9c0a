print("drd: not yet implemented")
