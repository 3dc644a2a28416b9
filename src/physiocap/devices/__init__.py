"""physiocap.devices"""
