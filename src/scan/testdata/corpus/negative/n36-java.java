public final class Auth {
    private final String password;

    public Auth(String password) {
        this.password = Objects.requireNonNull(password);
    }

    public boolean check(char[] candidate) {
        return PasswordHasher.verify(candidate, password);
    }
}
