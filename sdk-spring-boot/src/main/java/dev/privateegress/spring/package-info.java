/**
 * Spring Boot 4 auto-configuration for the Private Egress SDK: {@code private-egress.*} properties, the
 * {@code PrivateEgress}, {@code OkHttpClient} and {@code UnifiedJedis} beans, a {@code ClientHttpRequestFactory}
 * for {@code RestClient} and {@code RestTemplate}, the {@code privateEgress} health contributor and
 * {@code private.egress.*} meters.
 */
package dev.privateegress.spring;
