"""physiocap.capture"""
