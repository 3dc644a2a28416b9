"""physiocap.gui"""
