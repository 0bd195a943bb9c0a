import Testing

@Test func placeholder_RestoreTests() {}
