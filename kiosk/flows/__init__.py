"""The resident's session and the procedures: plain Python, no widgets."""
