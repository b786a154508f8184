@A1 @A2
Feature: Every control holds on every interface it guards
  JR/T 0185-2020 9.2.1 b) 1): 商业银行应按照安全级别及接口类型，对不同的应用方采用合适的认证方式进行身份认证。
  JR/T 0185-2020 9.2.2: 对于A1类应采用MAC校验等手段……对于A2类应采用数字签名等手段，保证商业银行与应用方之间数据传输的完整性与不可抵赖性。
  JR/T 0185-2020 7.2.2 2): 应采取数据完整性保护措施……对于A2级别的接口，商业银行和应用方应使用数字签名来保证数据的完整性和不可抵赖性。

  Each scenario judges one control of features/bank/controls.yaml on every interface of
  the bank's own published catalogue (/docs/apis.json) the control guards: a correct
  request is built for each, spoilt in exactly one way, and the bank must refuse it with
  the catalogued answer — and admit the correct one. An interface the bank adds is judged
  by the same scenario.

  @JR0185-9.2.1/b1 @JR0185-7.2.1/a1 @JR0185-7.2.1/a2
  Scenario: Every interface refuses a call without an Authorization header
    Then the bank enforces "AUTH-REQUIRED" on every surface it guards

  @JR0185-9.2.2/1 @JR0185-9.2.2/2 @JR0185-7.2.2/2
  Scenario: Every interface refuses a request signed over another body or path and admits it signed correctly
    Then the bank enforces "REQUEST-INTEGRITY" on every surface it guards

  @JR0185-7.2.2/2 @JR0185-9.2.2/2
  Scenario: Every interface signs its accepted and refused answers, freshly
    Then the bank enforces "ANSWER-SIGNED" on every surface it guards
