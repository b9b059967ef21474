"""The catalog: CSV import/export and the queries shoppers' questions need."""
