import Testing

@Test func placeholder_SupportTests() {}
