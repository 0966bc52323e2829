test("rejects", () => {
  const sample = "{{NPM_BAD_CHECKSUM}}";
  expect(isValid(sample)).toBe(false);
});
