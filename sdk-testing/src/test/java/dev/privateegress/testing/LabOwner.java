package dev.privateegress.testing;

/** Builds a lab, prints its instance namespace and waits to be killed (NetworkLabTest kills it with -9). */
public final class LabOwner {
  private LabOwner() {}

  public static void main(String[] args) throws InterruptedException {
    NetworkLab lab = NetworkLab.start();
    System.out.println(lab.namespace(NetworkLab.Namespace.INSTANCE));
    System.out.flush();
    Thread.sleep(120_000);
  }
}
