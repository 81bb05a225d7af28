package dev.privateegress.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Run inside a lab namespace: GETs each URL (2 s timeouts) and prints {@code URL -> STATUS BODY} or the error. */
public final class LabFetch {
  private LabFetch() {}

  public static void main(String[] args) {
    for (String url : args) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        int status = c.getResponseCode();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        System.out.println(url + " -> " + status + " " + body);
      } catch (IOException e) {
        System.out.println(url + " -> " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }
}
