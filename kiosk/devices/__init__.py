"""Hardware and its libraries.

The only package that imports smartcard, cv2, face_recognition and dlib.
"""
