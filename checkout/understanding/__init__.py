"""Reading a shopper's message against the live catalog: which products, categories, colours and sizes it
names, how many, and what the shopper wants done. Pure Python (no database, no Rasa): the Rasa NLU
component (`nlu_components/`) and the actions both use it, and Rasa's environment runs Python 3.10."""
