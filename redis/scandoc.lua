#!lua name=scandoc_1
