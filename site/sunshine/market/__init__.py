"""消费扶贫: sellers, farm-product listings, buyers' inquiries (issue 9)."""
