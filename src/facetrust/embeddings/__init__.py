"""Face embeddings used as model inputs: dlib's 128-d face encodings, cached per file content."""

from facetrust.embeddings.dlib_encoding import (
                                              ENCODING_INPUTS,
                                              ENCODING_SIZE,
                                              EncodingSet,
                                              FaceEncoder,
                                              encode_crops,
                                              encode_samples,
)

__all__ = ["ENCODING_INPUTS", "ENCODING_SIZE", "EncodingSet", "FaceEncoder", "encode_crops", "encode_samples"]
