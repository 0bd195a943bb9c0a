import Testing

@Test func placeholder_PolicyTests() {}
