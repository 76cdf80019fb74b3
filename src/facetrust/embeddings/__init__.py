"""Face embeddings used as model inputs: dlib's 128-d face encodings, cached per file content."""

from facetrust.embeddings.dlib_encoding import ENCODING_SIZE, EncodingSet, FaceEncoder, encode_samples

__all__ = ["ENCODING_SIZE", "EncodingSet", "FaceEncoder", "encode_samples"]
