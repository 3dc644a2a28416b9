"""physiocap.cli"""
