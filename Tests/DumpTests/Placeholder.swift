import Testing

@Test func placeholder_DumpTests() {}
