"""Customer records: identity per channel, details from checkout, exports."""
