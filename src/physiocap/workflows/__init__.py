"""physiocap.workflows"""
