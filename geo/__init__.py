"""Places and maps: the gazetteer/geocoder, boundaries, areas of control and map layers."""
