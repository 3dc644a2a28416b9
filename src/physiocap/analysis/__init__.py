"""physiocap.analysis"""
