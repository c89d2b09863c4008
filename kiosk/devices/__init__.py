"""Hardware and its libraries: the only package that imports smartcard, cv2, face_recognition, dlib."""
