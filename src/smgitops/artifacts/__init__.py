"""Model tarballs and serving images, named by the hash of their content."""
