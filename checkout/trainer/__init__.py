"""The trainer loop's core: from a shopper message the model misread to a better model, live.

`review` picks the messages worth a trainer's look (the inbox), `flagging` lets a seller send one there from a
transcript. Annotation, training, comparison and activation build on the same records.
"""
