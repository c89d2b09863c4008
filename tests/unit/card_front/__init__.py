"""Card-front OCR: synthetic card fronts and the reader."""
