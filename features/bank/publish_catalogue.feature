@A1
Feature: The bank publishes its interfaces: catalogue, OpenAPI document and versions
  JR/T 0185-2020 12.1: 应建立信息公告制度，通过官方网站等公开渠道发布其商业银行应用程序接口内容，并及时更新。
  JR/T 0185-2020 7.1: 应制定源代码和商业银行应用程序接口版本管理与控制规程……并就接口废止、变更等情况与应用方保持信息同步。
  JR/T 0185-2020 6.2: A1：金融产品和服务信息查询应用类，此类金融产品和服务与用户个体并无直接关联……商业银行提供银行金融产品和服务的详细信息的“只读”查询服务。

  The catalogue (/docs/apis.json) and the OpenAPI document (/docs/openapi.json) are
  public; together with the interfaces actually served they must agree, and every
  interface published as type 01 (A1) must be a read-only, non-personal query.

  @JR0185-12.1/3 @JR0185-7.1/6 @A2
  Scenario: The catalogue and the OpenAPI document are public and list exactly the interfaces served
    Given no interface changes state during this scenario
    And an A1 app
    And an A2 app for the A2 interfaces
    When the published U_API_ID catalogue is fetched without credentials
    And the OpenAPI document is fetched without credentials
    And the apps call every published interface
    Then the OpenAPI document is OpenAPI 3.1 with a document version
    And the OpenAPI document and the catalogue list the same interfaces with the same U_API_ID, level and version
    And every published interface is served
    And every interface's version is the version segment of its path
    And the catalogue, the OpenAPI document and the change log carry the same document version

  @JR0185-6.2/A1
  Scenario: Every A1 interface is a read-only query answering any app the same general product information
    Given no interface changes state during this scenario
    And an A1 app
    And another A1 app
    When the published U_API_ID catalogue is fetched without credentials
    And both A1 apps call every published interface of type "01"
    Then every interface of type "01" is a read-only GET
    And every interface of type "01" answered both apps 200 with the same content
    When the A1 app sends "POST" to every published interface of type "01"
    Then every one was refused with 405 "METHOD_NOT_ALLOWED" naming the allowed method
