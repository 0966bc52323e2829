using System.Net;

public static class Mirror
{
    public static WebClient Client() => new WebClient
    {
        Credentials = new NetworkCredential("ci-download", "{{GEN:ALNUM:18}}"),
    };
}
