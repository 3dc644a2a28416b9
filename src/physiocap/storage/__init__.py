"""physiocap.storage"""
