"""The residents' group and its council (居民小组 / 居民议事会)."""
