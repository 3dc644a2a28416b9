"""physiocap.core"""
