@A2
Feature: One-time codes and passwords are bounded at the bank's own pages
  JR/T 0185-2020 7.2.1 b) 2): 用户身份认证应在商业银行执行，对于A2级别接口中的资金交易类服务，用户登录身份认证应至少使用双因子认证的方式来保护账户财产安全。
  JR/T 0185-2020 7.2.2 d): 应在交易认证结束后及时清除用户支付敏感信息……
  JR/T 0185-2020 9.3.1 1): 用户身份认证应在商业银行完成……
  JR/T 0185-2020 10.2.2 a): 身份认证服务等授权类服务应充分识别是否经过用户本人授权。
  JR/T 0185-2020 10.2.2 b): ……应充分识别交易是否由用户本人发起（或本人授权发起），核实用户本人意愿。

  The second factor is only as strong as its bounds: a code confirms the one step it was
  sent for, a step takes a few guesses in all however many codes it asks for, a code dies
  with its lifetime, and the bank does not flood a phone. Passwords lock after a few
  failures — the browser they came from, so that a stranger cannot lock the customer out,
  and browsers the customer never used all together, so that a stranger cannot guess on
  by opening new ones. Every limit is the one the bank publishes in /docs/limits.json,
  probed just inside and just outside; each control uses its own test user.

  @JR0185-7.2.1/b2 @JR0185-10.2.2/2
  Scenario: A one-time code confirms only the login or payment it was sent for
    Then the bank enforces "OTP-BOUND" on every surface it guards

  @JR0185-7.2.1/b2
  Scenario: A login or payment takes the published number of code attempts in all, across re-issued codes
    Then the bank enforces "OTP-ATTEMPTS" on every surface it guards

  @JR0185-7.2.1/b2 @JR0185-7.2.2/4
  Scenario: A one-time code works until its lifetime ends and not a second after
    Then the bank enforces "OTP-LIFETIME" on every surface it guards

  @JR0185-7.2.1/b2
  Scenario: The bank sends a step and an app only the published number of codes
    Then the bank enforces "OTP-SEND-LIMITS" on every surface it guards

  @JR0185-10.2.2/1 @JR0185-9.3.1/1
  Scenario: Wrong passwords lock the browser they came from, not the customer's, and unknown browsers together
    Then the bank enforces "PASSWORD-LOCKOUT" on every surface it guards
