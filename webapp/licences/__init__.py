"""The e-licence wallet (电子证照)."""
